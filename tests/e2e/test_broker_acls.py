"""The broker's authentication and ACLs, on the project's local broker (SASL/SCRAM): a service
principal is refused a topic it does not own, and each principal sees exactly the topics its
grants name (pactline_messaging.broker_acls)."""

from __future__ import annotations

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAuthorizationFailedError
from pydantic import SecretStr

from infra_endpoints import kafka_password
from pactline_events import ALL_TOPICS, encode
from pactline_events.topics import AGENTS, DEAD_LETTERS
from pactline_messaging import KafkaCredentials, idempotent_producer, kafka_consumer, kafka_producer
from pactline_messaging.broker_acls import AUDITOR, PRINCIPALS, grants

pytestmark = pytest.mark.infra


def principal(name: str) -> KafkaCredentials:
    return KafkaCredentials(username=name, password=SecretStr(kafka_password(name)))


async def test_a_service_principal_is_refused_a_topic_it_does_not_own(producing_service, kafka_topics):
    # A compromised evaluator tries to register an agent: a signed, well-formed event, but the
    # agents topic is the registry's.
    event = await producing_service.register_agent(1)
    evaluator = idempotent_producer(kafka_topics, "acl-test-evaluator", credentials=principal("evaluator"))
    await evaluator.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await evaluator.send_and_wait(AGENTS.name, encode(event), key=event.stream_id.encode())
        # The same client may write where its grants say (every service may dead-letter).
        sent = await evaluator.send_and_wait(DEAD_LETTERS.name, b"acl test: a write the evaluator may make")
        assert sent.offset >= 0
    finally:
        await evaluator.stop()


async def test_the_auditor_reads_and_never_writes(kafka_topics):
    # Not idempotent: an idempotent producer needs a WRITE grant just to start.
    auditor = kafka_producer(kafka_topics, credentials=principal(AUDITOR), client_id="acl-test-auditor")
    await auditor.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await auditor.send_and_wait(DEAD_LETTERS.name, b"acl test: the auditor may not write")
    finally:
        await auditor.stop()


@pytest.mark.parametrize("name", [p for p in PRINCIPALS if p != "admin"])
async def test_each_principal_sees_exactly_the_topics_of_its_grants(kafka_topics, name):
    granted = {g.name for g in grants() if g.principal == name and g.resource == "topic"}
    consumer = kafka_consumer(bootstrap=kafka_topics, credentials=principal(name), enable_auto_commit=False)
    await consumer.start()
    try:
        # Metadata lists only the topics a principal may describe (READ or WRITE grant one).
        visible = await consumer.topics() & {t.name for t in ALL_TOPICS}
    finally:
        await consumer.stop()
    assert visible == granted


async def test_a_client_without_credentials_is_turned_away(kafka_topics):
    anonymous = kafka_consumer(bootstrap=kafka_topics, credentials=KafkaCredentials(username=None))
    with pytest.raises(KafkaConnectionError):
        await anonymous.start()
    await anonymous.stop()


async def test_a_wrong_password_is_turned_away(kafka_topics):
    wrong = kafka_consumer(
        bootstrap=kafka_topics, credentials=KafkaCredentials(username="evaluator", password=SecretStr("guess"))
    )
    with pytest.raises((KafkaConnectionError, KafkaError)):
        await wrong.start()
    await wrong.stop()
