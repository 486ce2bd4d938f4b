"""One module per dashboard page: ``KEY`` (cache key), ``NAV`` (the nav entry it lights),
``TITLE`` and ``build(ctx) -> (body HTML, subtitle)``."""
