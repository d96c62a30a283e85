"""Web pages for clerks and supervisors (server-rendered, Chinese), on the same engine and permissions as the API."""
