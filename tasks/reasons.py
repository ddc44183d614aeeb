"""Quarantine, repair and drop reasons: snake_case constants, one place for all stages.

File quarantine reasons (quarantine.reason) come first, then clean's repairs,
then the stats keys that count dropped rows.
"""

EMPTY_FILE = "empty_file"
BINARY_FILE = "binary_file"
UNDECODABLE = "undecodable"
TRUNCATED_ENCODING = "truncated_encoding"
DUPLICATE_FILE = "duplicate_file"
NO_DOCUMENT_TEXT = "no_document_text"
MALFORMED_LISTING_RECORD = "malformed_listing_record"
UNREADABLE_FILE = "unreadable_file"
FILE_TOO_LARGE = "file_too_large"

# Repairs of the clean stage (paragraph_repairs.repair).
REPAIR_JOIN = "join"
REPAIR_DROP_EMPTY = "drop_empty"
REPAIR_DROP_NO_TEXT = "drop_no_text"

# Drop counts in the stages' stats (run summary keys): one name for each
# reason a stage leaves a row out.
# clean and segment: nothing left after normalisation / no letter of any script
DROPPED_EMPTY = "dropped_empty"
DROPPED_NO_TEXT = "dropped_no_text"
# dedup: a paragraph by how it was found, a whole document
DROPPED_EXACT = "dropped_exact"
DROPPED_CONTAINMENT = "dropped_containment"
DROPPED_SPLICE = "dropped_splice"
DROPPED_DOCUMENT = "dropped_document"
# segment: a paragraph dedup flagged, a paragraph of a kind not segmented
DROPPED_DUPLICATE = "dropped_duplicate"
DROPPED_KIND_PREFIX = "dropped_kind_"
# indicators: a candidate value left out, by the rule that left it out
DROPPED_NO_PERIOD = "dropped_no_period"
DROPPED_OUTSIDE_REGION = "dropped_outside_region"
DROPPED_UNZIPPABLE_LIST = "dropped_unzippable_list"
DROPPED_THRESHOLD = "dropped_threshold"
DROPPED_SUB_SCOPE = "dropped_sub_scope"
DROPPED_STRETCH_TARGET = "dropped_stretch_target"
DROPPED_IMPLAUSIBLE_YEAR = "dropped_implausible_year"
DROPPED_INCONSISTENT_PERIOD = "dropped_inconsistent_period"
# plan tables: a table that is not an indicator table
DROPPED_NOT_INDICATOR_TABLE = "dropped_not_indicator_table"


def dropped_kind(kind: str) -> str:
    """The stats key counting paragraphs of one kind a stage does not read."""
    return DROPPED_KIND_PREFIX + kind
