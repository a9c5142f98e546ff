"""GSM modem driver (AT commands over pyserial-asyncio) and a modem simulator on a pseudo-terminal.

Layers, bottom up: `protocol` frames bytes into lines and the `> ` prompt; `dialogue` pairs commands
with their answers under fixed deadlines and sets unsolicited codes aside; `link` is the open device;
`bringup`, `sending`, `receiving` and `health` initialise the modem, send SMS (text or PDU mode,
built by `encoding` and `pdu`), receive messages and delivery reports, and read its state, all configured by one `config.ModemConfig`; `driver.Modem`
puts them together; `resilient.ResilientModem` owns recovery. `errors` says what happened to an SMS
(three disjoint families), `codes` what a +CMS/+CME code means. `simulator` is a modem for tests and
demos.

Import from the submodules (`listener.modem.errors`, `listener.modem.driver`, ...): importing the
package itself stays cheap, so the error classes can be used without loading the serial stack.
"""
