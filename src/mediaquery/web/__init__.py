"""The web page: a gallery, filters, uploads and a detail view over the same API."""
