"""The database router's rules and WAL positions, without a database (config/db.py). The router
against a real primary and a streaming replica is tested through the API in ratings/tests/test_replicas.py."""

from django.contrib.auth.models import Group
from django.db import router

from config import db as routing
from config.cache import _new_token, _newest_position

REPLICA = "replica_0"


def test_wal_positions_compare_as_postgresql_orders_them():
    assert routing.parse_lsn("0/3000060") == 0x3000060
    assert routing.parse_lsn("1/0") > routing.parse_lsn("0/FFFFFFFF")
    assert routing.parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848


def test_a_fill_may_use_a_replica_only_when_every_generation_records_a_position():
    assert _newest_position([_new_token(5), _new_token(9)]) == 9
    assert _newest_position([_new_token(5), _new_token()]) is None
    assert _newest_position([_new_token(), _new_token()]) is None


def test_writes_and_migrations_always_target_the_primary():
    assert router.db_for_write(Group) == "default"
    assert routing.PrimaryReplicaRouter().allow_migrate(REPLICA, "movies") is False
    assert routing.PrimaryReplicaRouter().allow_migrate("default", "movies") is True


def test_reads_go_to_the_primary_unless_a_cache_fill_opted_in():
    assert router.db_for_read(Group) == "default"
    with routing.reading_from(REPLICA):
        assert router.db_for_read(Group) == REPLICA
    assert router.db_for_read(Group) == "default"
