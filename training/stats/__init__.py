"""Statistics for the district's reports: the page, exports, the API and the CLI."""
