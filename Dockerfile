# Production image: bin/serve (granian's WSGI interface, config/server.py, and production
# settings); static files collected at build time
# and served by the app (WhiteNoise); migrations applied on start.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app
RUN useradd --system --create-home --uid 1000 app \
    && mkdir /metrics-data && chown app /metrics-data  # compose mounts the shared metrics volume here
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs settings to import; this key exists only for the build step.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" python manage.py collectstatic --noinput
USER app
EXPOSE 8000
# bin/serve is the one production server command (granian on $HOST:$PORT, $WEB_CONCURRENCY
# workers of $WEB_THREADS threads; SIGTERM drains them): see its header. Its configuration, and
# why granian (a Rust HTTP core: faster, and slow clients cannot stall it), is config/server.py.
CMD ["sh", "-c", "python manage.py migrate --noinput && exec bin/serve"]
