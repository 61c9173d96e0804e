# One image recipe for every service: `docker build --build-arg SERVICE=scoring .`
FROM python:3.11-slim AS build
ARG SERVICE
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
COPY cli ./cli
RUN uv sync --frozen --no-dev --package "pactline-${SERVICE}" --no-editable

FROM python:3.11-slim
ARG SERVICE
ENV SERVICE=${SERVICE} PATH=/src/.venv/bin:$PATH PACTLINE_HTTP_HOST=0.0.0.0
RUN useradd --system --uid 10001 pactline
COPY --from=build /src/.venv /src/.venv
USER 10001
CMD ["sh", "-c", "exec pactline-${SERVICE}"]
