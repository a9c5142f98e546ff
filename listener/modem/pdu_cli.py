"""`python -m listener decode-pdu HEX`: what a PDU from the modem's storage says, as one JSON object.

For operators debugging a modem (paste what AT+CMGR or AT+CMGL printed) and for tests. A PDU that
cannot be decoded exits 2 with the reason on one line of stderr.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from listener.cli import app
from listener.modem.errors import MalformedPduError
from listener.modem.pdu_decode import decode_pdu


@app.command("decode-pdu")
def decode_pdu_command(
    hex_text: Annotated[str, typer.Argument(metavar="HEX", help="the PDU in hex, as AT+CMGR shows it")],
    no_smsc: Annotated[
        bool, typer.Option("--no-smsc", help="HEX starts with the TPDU (no SMSC field in front)")
    ] = False,
) -> None:
    """Decode an SMS-DELIVER, SMS-STATUS-REPORT or SMS-SUBMIT PDU and print it as JSON."""
    try:
        decoded = decode_pdu(hex_text, with_smsc=not no_smsc)
    except MalformedPduError as exc:
        print(f"malformed PDU: {exc.reason}", file=sys.stderr)
        raise typer.Exit(2) from None
    print(json.dumps(decoded.as_json(), ensure_ascii=False))
