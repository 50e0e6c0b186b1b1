"""The demo deployment: accounts, mail, people and sign-ins for ``comity demo``.

Composition, like ``bootstrap``: it drives the services with real adapters, so it sits between
the composition root and the adapters in the layers contract."""
