"""HL7 v2.5.1 over MLLP: orders in from order-comms systems (OML^O21, ORM^O01), answered with
ACKs, and collection and status messages out to the laboratory and the requester's system."""
