"""The constructors static discovery recognises as services: dotted name -> (kind, default name).

A call is a service when its callee resolves, through the module's imports, to one of these
names. The default name is used when the result is not assigned to a module-level variable.
"""

from __future__ import annotations

from ..contracts.registry import ServiceKind


def _all(names: tuple[str, ...], kind: ServiceKind, name: str) -> dict[str, tuple[ServiceKind, str]]:
    return dict.fromkeys(names, (kind, name))


CONSTRUCTORS: dict[str, tuple[ServiceKind, str]] = {
    # outbound HTTP
    **_all(("httpx.Client", "httpx.AsyncClient"), "http-client", "httpx"),
    **_all(("requests.Session", "requests.sessions.Session"), "http-client", "requests"),
    **_all(("aiohttp.ClientSession", "aiohttp.client.ClientSession"), "http-client", "aiohttp"),
    "urllib3.PoolManager": ("http-client", "urllib3"),
    # caches
    **_all(
        (
            "redis.Redis",
            "redis.StrictRedis",
            "redis.from_url",
            "redis.Redis.from_url",
            "redis.ConnectionPool",
            "redis.ConnectionPool.from_url",
            "redis.cluster.RedisCluster",
            "redis.asyncio.Redis",
            "redis.asyncio.StrictRedis",
            "redis.asyncio.from_url",
            "redis.asyncio.Redis.from_url",
            "redis.asyncio.ConnectionPool.from_url",
            "aioredis.Redis",
            "aioredis.from_url",
        ),
        "cache",
        "redis",
    ),
    "pymemcache.client.base.Client": ("cache", "memcached"),
    # queues and workers
    "celery.Celery": ("queue", "celery"),
    **_all(("rq.Queue", "rq.queue.Queue", "rq.Worker", "rq.worker.Worker"), "queue", "rq"),
    **_all(
        (
            "kafka.KafkaProducer",
            "kafka.KafkaConsumer",
            "aiokafka.AIOKafkaProducer",
            "aiokafka.AIOKafkaConsumer",
            "confluent_kafka.Producer",
            "confluent_kafka.Consumer",
        ),
        "queue",
        "kafka",
    ),
    **_all(
        (
            "pika.BlockingConnection",
            "pika.SelectConnection",
            "aio_pika.connect",
            "aio_pika.connect_robust",
            "kombu.Connection",
        ),
        "queue",
        "rabbitmq",
    ),
    # email
    **_all(("smtplib.SMTP", "smtplib.SMTP_SSL", "aiosmtplib.SMTP", "aiosmtplib.send"), "email", "smtp"),
    "sendgrid.SendGridAPIClient": ("email", "sendgrid"),
    "fastapi_mail.FastMail": ("email", "fastapi-mail"),
    "flask_mail.Mail": ("email", "flask-mail"),
    # payments (any use of the `stripe` module is recognised too)
    **_all(("stripe.StripeClient", "stripe.http_client.HTTPClient"), "payment", "stripe"),
    "braintree.BraintreeGateway": ("payment", "braintree"),
    # object storage
    "google.cloud.storage.Client": ("storage", "gcs"),
    "minio.Minio": ("storage", "minio"),
    **_all(
        (
            "azure.storage.blob.BlobServiceClient",
            "azure.storage.blob.BlobServiceClient.from_connection_string",
        ),
        "storage",
        "azure-blob",
    ),
    # databases and search
    **_all(
        (
            "sqlalchemy.create_engine",
            "sqlalchemy.engine.create_engine",
            "sqlalchemy.ext.asyncio.create_async_engine",
        ),
        "db",
        "db",
    ),
    **_all(("pymongo.MongoClient", "motor.motor_asyncio.AsyncIOMotorClient"), "db", "mongodb"),
    **_all(("elasticsearch.Elasticsearch", "elasticsearch.AsyncElasticsearch"), "search", "elasticsearch"),
}

# module-level request functions: requests.get(url), httpx.post(url), aiohttp.request("GET", url)
MODULE_FUNCTIONS: dict[str, frozenset[str]] = {
    "requests": frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"}),
    "httpx": frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"}),
    "aiohttp": frozenset({"request"}),
}

# boto3.client(name) / boto3.resource(name), also through boto3.Session(...)
BOTO3: dict[str, ServiceKind] = {
    "s3": "storage",
    "sqs": "queue",
    "sns": "queue",
    "kinesis": "queue",
    "ses": "email",
    "sesv2": "email",
    "dynamodb": "db",
}
BOTO3_SESSIONS = frozenset({"boto3.Session", "boto3.session.Session"})

# functions that read an environment variable named by their first argument
ENV_READERS = frozenset({"os.getenv", "os.environ.get", "decouple.config"})


def _prefixes(names: set[str]) -> frozenset[str]:
    """`a.b.c` -> {`a`, `a.b`, `a.b.c`}."""
    parts = (name.split(".") for name in names)
    return frozenset(".".join(p[:i]) for p in parts for i in range(1, len(p) + 1))


# what an import must name for the module to possibly construct a service: `import redis`,
# `from redis import asyncio`, `from sqlalchemy import create_engine` (not `from sqlalchemy import select`)
IMPORT_PREFIXES = _prefixes(
    set(CONSTRUCTORS)
    | {f"{owner}.{f}" for owner, functions in MODULE_FUNCTIONS.items() for f in functions}
    | {"boto3.client", "boto3.resource"}
    | BOTO3_SESSIONS
)
ANY_USE = frozenset({"stripe"})  # libraries recognised by any use
