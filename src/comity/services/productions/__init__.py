"""Productions: issuing the authorization from an approved case, reading through the regional agent,
writing the signed package, and delivering it."""
