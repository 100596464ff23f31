"""The emulator's metadata service, fault injection, admin API, state, testing helpers and the
``akless emulator serve`` command."""
