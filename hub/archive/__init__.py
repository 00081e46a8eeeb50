"""Retention and archives: old message bodies moved into signed files, read back on demand.

``write_archive`` moves bodies past their type's retention (``load_retention``) into one
archive file and empties them in the log, which keeps the metadata and the chain;
``ArchiveShelf`` reads an archived body back for the trace, evidence and case rebuild;
``verify_archives`` checks a folder of archives against their signature and the log.
"""

from hub.archive.bundle import ARCHIVE_NAMESPACE, Manifest, read_manifest, sign_manifest
from hub.archive.retention import Retention, default_retention_file, load_retention
from hub.archive.shelf import ArchiveShelf, load_archive_key, open_archive
from hub.archive.verify import ArchiveReport, verify_archives
from hub.archive.writer import (
    DEFAULT_LIMIT,
    ArchiveWritten,
    LogChangedDuringArchive,
    Seal,
    write_archive,
)

__all__ = [
    # Retention
    "Retention",
    "default_retention_file",
    "load_retention",
    # Writing
    "DEFAULT_LIMIT",
    "ArchiveWritten",
    "Seal",
    "write_archive",
    # The file and its signed manifest
    "ARCHIVE_NAMESPACE",
    "Manifest",
    "read_manifest",
    "sign_manifest",
    # Reading back and checking
    "ArchiveShelf",
    "load_archive_key",
    "open_archive",
    "ArchiveReport",
    "verify_archives",
    # Errors
    "LogChangedDuringArchive",
]
