"""Who may do what on the broker: one principal per service, an admin and an auditor.

Each service may WRITE the topics of the event types it produces (``catalog.EVENT_PRODUCERS``)
and the dead-letter topic, READ the topics it consumes and its own consumer group (named
after the service). The auditor may READ every topic and nothing else. The admin (topics,
tests, tools) is a super user and needs no ACLs. READ and WRITE imply DESCRIBE in Kafka's
authorizer; an idempotent producer needs WRITE on some topic (KIP-679), nothing on the cluster.

The same table feeds the local broker (``python -m pactline_messaging.broker_acls kafka-acls``
prints the arguments of each ``kafka-acls`` call scripts/infra/kafka.sh makes) and is checked
against the Strimzi ``KafkaUser`` resources in deploy/ by tests/test_deploy_files.py.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from pactline_events import ALL_TOPICS, DEAD_LETTERS, PRODUCERS, TopicSpec, topics_written_by
from pactline_events.topics import ACCEPTANCES, AGENTS, ESCROW, JURY_DELIBERATIONS, JURY_REQUESTS, VERDICTS

ADMIN = "admin"
AUDITOR = "auditor"

SERVICE_READS: dict[str, tuple[TopicSpec, ...]] = {
    "pact-registry": (),
    "evaluator": (ACCEPTANCES, JURY_DELIBERATIONS),
    "jury": (JURY_REQUESTS,),
    "scoring": (ACCEPTANCES, VERDICTS, ESCROW),
    "settlement": (ACCEPTANCES, VERDICTS),
    "gateway": (AGENTS, ACCEPTANCES),
}
"""The topics each service consumes (handlers and projections); tests/test_broker_acls.py checks
every service's spec subscribes to no other."""

if set(SERVICE_READS) != set(PRODUCERS):  # pragma: no cover - guards the table above
    raise RuntimeError(f"SERVICE_READS must name exactly the producers {PRODUCERS}")

PRINCIPALS: tuple[str, ...] = (ADMIN, AUDITOR, *PRODUCERS)
"""Every SCRAM user of the broker (plus the broker's own, which no client uses)."""


@dataclass(frozen=True)
class Grant:
    """ALLOW ``operation`` on the literal resource ``name`` of ``resource`` ("topic" or "group")."""

    principal: str
    resource: str
    name: str
    operation: str


def grants() -> list[Grant]:
    """Every ACL the broker holds, in a stable order."""
    out: list[Grant] = []
    for service in PRODUCERS:
        for topic in (*topics_written_by(service), DEAD_LETTERS):
            out.append(Grant(service, "topic", topic.name, "Write"))
        for topic in SERVICE_READS[service]:
            out.append(Grant(service, "topic", topic.name, "Read"))
        if SERVICE_READS[service]:
            out.append(Grant(service, "group", service, "Read"))
    out.extend(Grant(AUDITOR, "topic", topic.name, "Read") for topic in ALL_TOPICS)
    return out


def kafka_acls_calls() -> list[list[str]]:
    """Arguments of one ``kafka-acls --add`` call per (principal, operation): its resources together."""
    calls: dict[tuple[str, str], list[str]] = {}
    for grant in grants():
        args = calls.setdefault((grant.principal, grant.operation), [])
        args += [f"--{grant.resource}", grant.name]
    return [
        ["--add", "--allow-principal", f"User:{principal}", "--operation", operation, *resources]
        for (principal, operation), resources in calls.items()
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pactline_messaging.broker_acls")
    parser.add_argument("what", choices=["kafka-acls", "principals"])
    args = parser.parse_args(argv)
    if args.what == "principals":
        print("\n".join(PRINCIPALS))
    else:
        for call in kafka_acls_calls():
            print(" ".join(call))


if __name__ == "__main__":
    main()
