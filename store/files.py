"""Files that hold debtors' data (the SQLite store, the outbox, letters, legal packages) are their owner's alone:
directories 0700 and files 0600, whatever the umask. Directories that exist already are left as they are (they may
be an operator's choice, such as a mounted volume); files of ours are made private whenever they are opened here."""

import os
from pathlib import Path

DIRECTORY_MODE, FILE_MODE = 0o700, 0o600


def private_dir(path: Path) -> Path:
    """`path`, with any missing parents, created owner-only."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for folder in missing:
        folder.chmod(DIRECTORY_MODE)
    return path


def private_file(path: Path) -> Path:
    """`path` created empty if it does not exist, and owner-only either way."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE))
    path.chmod(FILE_MODE)
    return path


def write_private(path: Path, content: bytes, *, exclusive: bool = False) -> None:
    """Write `content` to an owner-only file, synced to disk; `exclusive`: fail if the file exists."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    descriptor = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)
        with os.fdopen(descriptor, "wb", closefd=False) as file:
            file.write(content)
            file.flush()
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
