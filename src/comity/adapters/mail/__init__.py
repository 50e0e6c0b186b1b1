"""Mail and record parsers: mbox, Maildir, single messages, subscriber JSON, login CSV."""
