"""CRI container logs: parsing the log format, reading a file's tail from the end, following, searching, saving.

No textual, no grpc here: the UI feeds :class:`LogFollower` the ``log_path`` from ContainerStatus.
"""

from crit.logs.errors import LogFileError, check_log_access, describe_os_error, is_remote_endpoint
from crit.logs.parse import STDERR, STDOUT, LineJoiner, LogRecord, parse_line, parse_lines
from crit.logs.paths import previous_log_candidates, previous_log_path
from crit.logs.sanitize import neutralise
from crit.logs.search import compile_query, copy_log, find_next, find_prev, match_spans, save_records
from crit.logs.tail import LogFollower, TailResult, read_tail

__all__ = [
    "LogFileError",
    "check_log_access",
    "describe_os_error",
    "is_remote_endpoint",
    "STDERR",
    "STDOUT",
    "LineJoiner",
    "LogRecord",
    "parse_line",
    "parse_lines",
    "previous_log_candidates",
    "previous_log_path",
    "neutralise",
    "compile_query",
    "copy_log",
    "find_next",
    "find_prev",
    "match_spans",
    "save_records",
    "LogFollower",
    "TailResult",
    "read_tail",
]
