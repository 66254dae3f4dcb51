"""The lake: raw payloads and other files (files.py), rows as Delta tables (tables.py), in zones (layout.py), on
a local disk or an object store (storage.py)."""

from socialpulse.lake.files import (
    PAGES_FILE,
    RawPayloadError,
    local_file_to_read,
    local_file_to_write,
    partition_exists,
    publish_partition,
    read_manifest,
    read_raw_file,
    read_raw_pages,
    remove_tree,
    replacing,
    staged,
    write_manifest,
    write_raw_file,
    write_raw_pages,
)
from socialpulse.lake.layout import TABLE_ZONES, Lake
from socialpulse.lake.storage import (
    LakePath,
    ensure_dir,
    lake_path,
    object_store_protocol,
    on_object_store,
    partitions,
    storage_options,
)
from socialpulse.lake.tables import HISTORY_DAYS, Snapshot, Table

__all__ = [
    "HISTORY_DAYS",
    "PAGES_FILE",
    "TABLE_ZONES",
    "Lake",
    "LakePath",
    "RawPayloadError",
    "Snapshot",
    "Table",
    "ensure_dir",
    "lake_path",
    "local_file_to_read",
    "local_file_to_write",
    "object_store_protocol",
    "on_object_store",
    "partition_exists",
    "partitions",
    "publish_partition",
    "read_manifest",
    "read_raw_file",
    "read_raw_pages",
    "remove_tree",
    "replacing",
    "staged",
    "storage_options",
    "write_manifest",
    "write_raw_file",
    "write_raw_pages",
]
