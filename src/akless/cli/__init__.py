"""The ``akless`` command line (``akless[cli]``)."""
