"""`make demo`: a whole campaign end to end on a private local database whose clock runs fast.

Why a package of its own: the demo wires the real parts together exactly as an operator would (the
scheduler CLI, the modem simulator on a pseudo-terminal, the listener service, the SQL promotion), and
only adds what a sped-up clock needs: libfaketime on the demo cluster, a driver that calls the
promotion every fake minute (pg_cron ticks on real minutes), and a jump over the closed night.
"""
