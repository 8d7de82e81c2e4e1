"""Export jobs: write a requested CSV or XLSX to the instance folder, in constant memory."""

from __future__ import annotations

from service.results.export_jobs import build_export as build
from service.runtime import current_runtime


def build_export(export_id: int) -> None:
    """Build export ``export_id`` (queued by the staff page, the API or the sweep); its status is kept on its row."""
    runtime = current_runtime()
    build(runtime.sessions, runtime.settings.instance_path, export_id)
