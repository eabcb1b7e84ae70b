"""The report of a pre-check run (issue 8): HTML (self-contained) or Markdown.

``write_report(inputs, run, out, fmt)`` is what ``verzuim report``, the sync job and the demo
call; see ``gateway.report.build``.
"""

from gateway.report.build import (
    OutboxEntry,
    build_report,
    outbox_entries,
    render_report,
    write_report,
)

__all__ = ["OutboxEntry", "build_report", "outbox_entries", "render_report", "write_report"]
