"""GSM modem driver (AT commands over pyserial-asyncio) and a modem simulator on a pseudo-terminal.

Layers, bottom up: `protocol` frames bytes into lines and the `> ` prompt; `dialogue` pairs commands
with their answers under fixed deadlines and sets unsolicited codes aside; `driver.Modem` initialises
the modem and sends SMS (text or PDU mode, built by `encoding` and `pdu`); `resilient.ResilientModem`
re-opens a modem that stopped answering. `simulator` is a modem for tests and demos.

Import from the submodules (`listener.modem.errors`, `listener.modem.driver`, ...): importing the
package itself stays cheap, so the error classes can be used without loading the serial stack.
"""
