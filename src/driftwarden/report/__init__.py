"""The drift report: results gathered from scans or the service's table (data), and one
self-contained HTML page made of them (page)."""
