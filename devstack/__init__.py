"""The local stack: moto server, provisioning, demo data, and the processes of `make run`."""
