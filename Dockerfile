# The worker and the API (docker-compose.yml runs both from this image, with different commands).
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# The CJK font zh-CN letters are typeset in (Typst, in the worker's process, brings its own Latin font): the same
# package as scripts/system-deps.sh.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 collections \
    && useradd --system --uid 10001 --gid collections --home-dir /app --shell /usr/sbin/nologin collections

# Exactly what uv.lock pins, without the test extra, into the virtualenv /opt/venv (first on the PATH), by the same
# uv as the Makefile's; `--locked` fails the build if the lock does not match pyproject.toml. The dependencies get a
# layer of their own, rebuilt only when the lock changes; then the project itself, as a wheel.
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_NO_CACHE=1 \
    PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN pip install uv==0.13.9 \
    && uv sync --locked --no-install-project
COPY . .
# The project installed as a wheel, its bytecode compiled (UV_COMPILE_BYTECODE; PYTHONDONTWRITEBYTECODE keeps the
# running worker from writing it): the workflow sandbox imports the workflow module afresh for every workflow it
# starts or replays, and compiling its source each time was 40% of that cost.
RUN uv sync --locked --no-editable \
    && mkdir /data && chown collections:collections /data

# The code runs from the installed wheel (/opt/venv), which carries templates/ and policies/ beside the modules; the
# source copy in /app is not imported. /data holds the outbox and the legal packages (a volume in docker-compose.yml).
ENV COLLECTIONS_VAR_DIR=/data
USER collections
EXPOSE 8000
CMD ["collections", "worker"]
