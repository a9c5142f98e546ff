"""Code shared by the scheduler CLI and the listener service: settings, logging, errors, the local cluster."""
