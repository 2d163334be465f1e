"""Services read statically: queues, brokers, storage and HTTP clients, with config key names only."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.contracts.registry import Service
from backend_orchestrator.discovery import Discovery, scan

from .support import FIXTURES, write


@cache
def worker() -> Discovery:
    return scan(FIXTURES / "services_more", ProjectConfig())


def service(found: Discovery, name: str) -> Service:
    return next(s for s in found.services.services if s.name == name)


def test_rq_kafka_and_rabbitmq_clients_are_queues_named_after_their_variable_or_library() -> None:
    kinds = {s.name: (s.kind, s.module) for s in worker().services.services if s.kind == "queue"}
    assert kinds == {
        "emails": ("queue", "worker.jobs"),  # rq.Queue
        "producer": ("queue", "worker.events"),  # kafka.KafkaProducer
        "audit_producer": ("queue", "worker.events"),  # confluent_kafka.Producer
        "kafka": ("queue", "worker.events"),  # aiokafka, built inside a function
        "connection": ("queue", "worker.broker"),  # pika.BlockingConnection
        "rabbitmq": ("queue", "worker.broker"),  # aio_pika.connect_robust
        "jobs_queue": ("queue", "worker.storage"),  # boto3.Session(...).client("sqs")
    }


def test_config_keys_name_the_settings_and_environment_variables_each_client_reads() -> None:
    found = worker()
    assert service(found, "emails").config_keys == ["redis_url"]  # through connection=redis_conn
    assert service(found, "producer").config_keys == ["KAFKA_BROKERS"]
    assert service(found, "jobs_queue").config_keys == ["AWS_PROFILE"]  # read by the Session it comes from
    assert service(found, "s3").config_keys == ["s3_endpoint"]
    assert service(found, "requests").config_keys == ["partner_api_url"]  # the base URL of requests.get(...)
    assert service(found, "aiohttp").config_keys == ["feed_url"]


def test_a_literal_url_or_host_is_never_recorded_as_a_config_key() -> None:
    assert service(worker(), "partner_session").config_keys == []  # its URL is a literal
    keys = [k for s in worker().services.services for k in s.config_keys]
    assert not any(":" in k or "/" in k or "." in k for k in keys)


def test_used_by_lists_the_modules_that_import_the_service_module() -> None:
    assert service(worker(), "s3").used_by == ["worker.api"]
    assert service(worker(), "aiohttp").used_by == []


def test_flask_config_lookups_and_storage_email_clients_are_recognised(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "ext.py": (
                "from flask import current_app\n"
                "from google.cloud import storage\n"
                "from minio import Minio\n"
                "from sendgrid import SendGridAPIClient\n"
                "bucket_client = storage.Client(project=current_app.config['GCP_PROJECT'])\n"
                "minio = Minio(current_app.config.get('MINIO_ENDPOINT'), secure=True)\n"
                "mailer = SendGridAPIClient(current_app.config['SENDGRID_API_KEY'])\n"
            )
        },
    )
    found = scan(tmp_path, ProjectConfig())
    assert [(s.name, s.kind, s.config_keys) for s in found.services.services] == [
        ("bucket_client", "storage", ["GCP_PROJECT"]),
        ("mailer", "email", ["SENDGRID_API_KEY"]),
        ("minio", "storage", ["MINIO_ENDPOINT"]),
    ]


def test_a_module_importing_unrelated_names_from_a_service_library_sets_up_no_service(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"queries.py": "from sqlalchemy import select\nfrom redis import exceptions\nQ = select()\n"},
    )
    assert scan(tmp_path, ProjectConfig()).services.services == []
