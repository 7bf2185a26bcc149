"""What staff send to import a bank. Shared by the JSON API and the import page (the same
multipart form fields). Types only: the rules live in banks.service."""

from pydantic import BaseModel

from app.banks.service import ForeignBank


class ForeignBankForm(BaseModel):
    """The form fields naming the bank a QTI or Moodle XML upload goes into (a package
    Jiping exported names its own; YAML and Excel name theirs): `level` is space-separated
    level codes; `skip_refused` imports the deliverable items and lists the others."""

    bank_code: str = ""
    bank_name: str = ""
    occupation: str = ""
    direction: str = ""
    level: str = ""
    skip_refused: bool = False

    def foreign(self) -> ForeignBank:
        return ForeignBank(
            code=self.bank_code,
            name=self.bank_name,
            occupation=self.occupation,
            direction=self.direction,
            levels=tuple(self.level.split()),
            skip_refused=self.skip_refused,
        )
