"""Knowledge base: articles, versions, review, expiry, error reports, search and the assistant."""
