# PgBouncer from Debian's package, the same build `make scale` runs on the host (SPEC 17).
# The configuration is deploy/pgbouncer.ini, mounted by docker-compose.yml; the user list is
# written at start from POSTGRES_PASSWORD, so no password lives in the image or the repository.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends pgbouncer \
 && rm -rf /var/lib/apt/lists/* \
 && (id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres) \
 && install -d -o postgres -g postgres /etc/pgbouncer /var/run/postgresql
USER postgres
EXPOSE 6432
CMD ["sh", "-c", "printf '\"%s\" \"%s\"\\n' \"${POSTGRES_USER:-movies}\" \"$POSTGRES_PASSWORD\" > /etc/pgbouncer/userlist.txt && exec pgbouncer /etc/pgbouncer/pgbouncer.ini"]
