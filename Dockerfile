# The worker and the API (docker-compose.yml runs both from this image, with different commands).
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# What WeasyPrint needs to render letters to PDF (pango, HarfBuzz's subsetter) and a CJK font for zh-CN letters:
# the same packages as scripts/system-deps.sh.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 collections \
    && useradd --system --uid 10001 --gid collections --home-dir /app --shell /usr/sbin/nologin collections

WORKDIR /app
COPY . .
# Bytecode compiled once here (PYTHONDONTWRITEBYTECODE keeps the running worker from writing it): the workflow
# sandbox imports the workflow module afresh for every workflow it starts or replays, and compiling its source
# each time was 40% of that cost.
RUN pip install . \
    && python -m compileall -q /app \
    && mkdir /data && chown collections:collections /data

# The code runs from /app, not from the installed copy: templates/ and policies/ are found next to the modules,
# and the wheel does not carry them. /data holds the outbox and the legal packages (a volume in docker-compose.yml).
ENV PYTHONPATH=/app \
    COLLECTIONS_VAR_DIR=/data
USER collections
EXPOSE 8000
CMD ["python", "worker.py"]
