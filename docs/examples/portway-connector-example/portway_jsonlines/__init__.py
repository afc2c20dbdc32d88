"""An example built-in connector for Portway: JSON Lines files.

``/serviceProviders/jsonLines`` appends records to a ``.jsonl`` file in a folder its
connection names (action ``appendRecords``) and starts runs for the records appended
since the last poll (trigger ``whenRecordsAreAppended``). See this folder's README.
"""

from portway_jsonlines.provider import JsonLinesProvider

__all__ = ["JsonLinesProvider"]
