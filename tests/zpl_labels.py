"""Labels the ZPL tests share: a plain one to vary, and the golden-file labels."""

from __future__ import annotations

import dataclasses
import datetime as dt

from label_printer import LabelData


def label(**changes: object) -> LabelData:
    base = LabelData(family_name="Whitfield", given_name="Margaret",
                     date_of_birth=dt.date(1957, 3, 4), nhs_number="9434765919",
                     specimen_id="2611230001", container="EDTA", tests=("FBC", "HBA1C"),
                     site_name="Riverside", sequence=(1, 3))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


GOLDEN = {
    # A `^` and a `~` in the name (and the site), printed as text: they must arrive as data.
    "latin_caret_tilde": label(family_name="D'Arcy^Smith~Jones", given_name="Zoë",
                               site_name="St Mary's ~ Wing ^2", reprint=True, sequence=(2, 3)),
    # Longer than the label: shortened by the layout's stated rule, marked with an ellipsis.
    "long_name": label(family_name="Featherstonehaugh-Cholmondeley-Worthington",
                       given_name="Bartholomew Alexander", tests=("FBC", "UE", "LFT", "CRP",
                                                                 "TFT", "B12", "FOL"),
                       site_name="Leeds General Infirmary Outpatients"),
    # A Chinese name: font 0 cannot draw it, so it travels as a ^GFA graphic field.
    "chinese_name": label(family_name="王", given_name="秀英", specimen_id="2611230017",
                          container="Serum gel (SST)", tests=("LFT",), sequence=(3, 3)),
}
