#!/bin/sh
# Run once by the postgres image when it initialises the primary's data directory (compose
# profile `scale`): let the streaming replica connect for replication with a password.
set -eu
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
