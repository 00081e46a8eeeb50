"""The published contract: everything a partner builds against, as files.

``hub contract export DIR`` writes them and ``GET /contract/`` serves the same list, so what
a partner downloads from a running hub and what an operator hands over agree byte for byte
(the examples aside: each listing gives them a fresh MessageId and CreatedAt).
"""

from hub.contract.files import ContractFile, contract_files, example_files, fixed_files

__all__ = ["ContractFile", "contract_files", "example_files", "fixed_files"]
