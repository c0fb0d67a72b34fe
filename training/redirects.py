"""Where a link may send someone back to: paths on this site, nothing else."""

import re
from urllib.parse import urlsplit

# Printable ASCII only: no backslashes, tabs or newlines that a browser might read as "//".
LOCAL_PATH = re.compile(r"/[!#-\[\]-~]*")


def local_path(target: str | None) -> str | None:
    """A plain path on this site to send someone back to, or None for anything else."""
    if (
        target
        and LOCAL_PATH.fullmatch(target)
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return None
