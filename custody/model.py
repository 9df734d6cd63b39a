"""The domain's vocabulary: roles, departments, item states, event types, case status.

Chinese terms appear once, here, beside their English names.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CLERK = "clerk"  # 物证管理员, evidence clerk
    INVESTIGATOR = "investigator"  # 刑侦, criminal investigation
    CUSTODIAN = "custodian"  # 治安, sealed-storage custodian
    AUDITOR = "auditor"  # 督察, inspection / audit
    DESTRUCTION_OFFICER = "destruction_officer"  # 省厅治安总队, provincial destruction officer
    STATISTICS = "statistics"  # leadership office, statistics reader
    ADMIN = "admin"  # administrator


class Department(StrEnum):
    PUBLIC_ORDER = "public_order"  # 治安
    CRIMINAL_INVESTIGATION = "criminal_investigation"  # 刑侦
    POLICE_STATION = "police_station"  # 派出所
    INSPECTION = "inspection"  # 督察
    PROVINCIAL_PUBLIC_ORDER = "provincial_public_order"  # 省厅治安总队
    EVIDENCE_ROOM = "evidence_room"  # 物证室
    OFFICE = "office"  # 办公室 (leadership office, statistics, administration)


class UnitLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class CaseCategory(StrEnum):
    """What a gun case (涉枪案件) is about, as the monthly statistics count it."""

    POSSESSION = "possession"  # 非法持有、私藏枪支弹药
    MANUFACTURE = "manufacture"  # 私制: 非法制造枪支弹药
    TRADE = "trade"  # 非法买卖、运输、邮寄枪支弹药
    SMUGGLING = "smuggling"  # 走私武器弹药
    THEFT = "theft"  # 盗窃、抢夺、抢劫枪支弹药 (盗抢)
    GUN_CRIME = "gun_crime"  # 持枪犯罪: a firearm used in another crime (涉枪)
    OTHER = "other"  # 其他涉枪案件


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # 案件办结
    JUDGED = "judged"  # 法院审判后


class ItemState(StrEnum):
    """Where an item stands in its lifecycle."""

    REGISTERED = "registered"  # in case custody
    OFFERED = "offered"  # offered for handover to a named custodian; the case team still holds it
    CHECKED_OUT = "checked_out"  # at the lab or in court
    HANDED_OVER = "handed_over"  # accepted by a custodian of sealed storage (移交治安部门), not sealed
    SEALED = "sealed"  # 封存
    NOMINATED = "nominated"  # nominated for destruction (报请销毁)
    APPROVED = "approved"  # in an approved provincial destruction batch
    DESTROYED = "destroyed"  # 销毁
    LOST = "lost"  # reported lost after an audit (报失): its store is marked for a full audit


class EventType(StrEnum):
    """Every act recorded in the custody ledger."""

    # acts on cases (no item)
    CASE_OPENED = "case_opened"
    CASE_CLOSED = "case_closed"
    CASE_JUDGED = "case_judged"
    CASE_SOLVED = "case_solved"  # 破案, with its date
    CASE_CORRECTED = "case_corrected"  # a correction of a case's category, filed or solved date
    # acts on items
    REGISTERED = "registered"  # intake (登记)
    TRANSFERRED = "transferred"  # to another unit
    CHECKED_OUT = "checked_out"
    RETURNED = "returned"
    # older ledgers only: a one-step handover whose receiver confirmed with their password (offered and
    # accepted at once); replayed, no longer recorded
    HANDED_OVER = "handed_over"
    HANDOVER_OFFERED = "handover_offered"  # offered to a custodian of the same-level 治安 department (移交)
    HANDOVER_ACCEPTED = "handover_accepted"  # the named custodian accepts: the item is in their store
    HANDOVER_REFUSED = "handover_refused"  # the named custodian refuses, with a reason: back to the case team
    SEALED = "sealed"  # 封存: put under a seal, with a witness
    UNSEALED = "unsealed"  # 启封: the seal is opened, with a reason and a witness; the seal is void
    RELOCATED = "relocated"  # the seal holding the item moved to another storage location
    CUSTODIAN_CHANGED = "custodian_changed"  # the store's items pass to another custodian
    CORRECTED = "corrected"  # a correction of an earlier record; the earlier record stays
    COUNTED = "counted"  # ammunition recount
    CONSUMED = "consumed"  # ammunition used up (e.g. test firing)
    # ballistic samples (弹头、弹壳样本) and split ammunition lots
    TEST_FIRED = "test_fired"  # a firearm test-fired at the lab: its samples' numbers, the ammunition used
    SAMPLE_MADE = "sample_made"  # a bullet or cartridge-case sample's first event (its registration)
    LOT_SPLIT = "lot_split"  # rounds taken from an ammunition lot into a new lot
    SPLIT_OFF = "split_off"  # a lot split off another: its first event (its registration)
    TAG_BOUND = "tag_bound"  # an RFID/NFC tag carrying the evidence number is bound to the item
    SIGHTED = "sighted"  # a station's scanner or reader saw the item; changes nothing about it
    # audits of the sealed store (检查): none of them changes the item, but the loss
    AUDIT_SEEN = "audit_seen"  # an audit session read the item (or its seal) on the shelf
    AUDITED = "audited"  # an audit closed: what it found of the item
    DISCREPANCY_RESOLVED = "discrepancy_resolved"  # its owner resolved a discrepancy, an auditor confirmed
    REPORTED_LOST = "reported_lost"  # a discrepancy resolved as lost (报失), an auditor confirmed
    # destruction (销毁): the review of sealed items and the applications to the province
    REVIEW_HELD = "review_held"  # a sealed item's review date moved, with a reason (暂缓处置)
    NOMINATED = "nominated"  # named in a destruction application (报请销毁)
    APPLICATION_WITHDRAWN = "application_withdrawn"  # its applicant withdrew the application: back to sealed
    APPLICATION_REFUSED = "application_refused"  # the province refused the application: back to sealed
    BATCHED = "batched"  # taken into a provincial destruction batch (销毁批次) with its application
    APPROVED = "approved"  # its batch approved by a second provincial destruction officer
    DESTROYED = "destroyed"  # scanned out at the site of its batch before the witnesses (销毁)
    WITHDRAWN_FROM_BATCH = "withdrawn_from_batch"  # an approved item not destroyed: back to sealed
    PHOTOGRAPHED = "photographed"  # a photo of it at the site, before or after destruction (its SHA-256)
    TRACING_LETTER = "tracing_letter"  # a source-and-flow tracing letter about it sent (来源流向协查函)
    STORE_IMPORTED = "store_imported"  # a county's store moved in: its old head and count (no item)


class CheckoutPurpose(StrEnum):
    LAB = "lab"  # examination
    COURT = "court"


class LocationLevel(StrEnum):
    """Storage locations nest store → room → shelf → bin; a code's segment count is its level."""

    STORE = "store"  # 库
    ROOM = "room"  # 室
    SHELF = "shelf"  # 架
    BIN = "bin"  # 格


class HandoverStatus(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class SealStatus(StrEnum):
    INTACT = "intact"
    VOID = "void"  # opened: its items are resealed under a new number


class AuditMode(StrEnum):
    FULL = "full"  # every item in scope
    SAMPLE = "sample"  # items drawn per category (95% confidence, ±3% margin), escalated on discrepancies


class AuditStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class AuditCategory(StrEnum):
    """What an audit samples separately: firearms, ammunition lots, ballistic samples."""

    FIREARM = "firearm"
    AMMUNITION = "ammunition"
    SAMPLE = "sample"


class Finding(StrEnum):
    """What an audit found of an expected or seen thing; all but ``found`` are discrepancies."""

    FOUND = "found"  # expected here, seen here under its intact seal
    MISSING = "missing"  # expected here, not seen
    UNEXPECTED = "unexpected"  # seen here, belongs to another unit or to no store
    WRONG_PLACE = "wrong_place"  # seen here, of this store, recorded at another location
    SEAL_BROKEN = "seal_broken"  # its seal tag's loop open (now or before), or a void seal read
    SEAL_MISMATCH = "seal_mismatch"  # items read through a closed seal differ from its record
    UNKNOWN_CODE = "unknown_code"  # a code that names nothing known


class DiscrepancyStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"  # by its owner, confirmed by an auditor other than the owner


class Resolution(StrEnum):
    FOUND_ELSEWHERE = "found_elsewhere"
    RECORD_CORRECTED = "record_corrected"  # the record was wrong; a ``corrected`` event fixes it
    REPORTED_LOST = "reported_lost"  # the item is lost (state ``lost``)


class ApplicationStatus(StrEnum):
    """A destruction application (报请销毁) of a city's (or the province's own) sealed store."""

    OPEN = "open"  # its items are nominated, awaiting the province
    WITHDRAWN = "withdrawn"  # by its applicant
    REFUSED = "refused"  # by a provincial destruction officer, with a reason
    BATCHED = "batched"  # taken into a provincial destruction batch


class ReviewStanding(StrEnum):
    """Where an item stands in its unit's disposition queue (处置队列)."""

    OVERDUE = "overdue"  # sealed, its review date passed
    DUE = "due"  # sealed, its review date within the horizon asked for
    HELD = "held"  # sealed, its review date moved by a hold (with a reason)
    NOMINATED = "nominated"  # in an open destruction application
