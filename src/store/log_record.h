// The record format of LogStore's write-ahead log (version 2), and how
// logged batches merge. Internal to src/store.
//
// File format of the log (version 2; version 1 records, which have no
// append_delta list, are read too).
//
// The log is a sequence of files `<prefix>.<seq>`, seq a decimal number
// (written with at least 8 digits) that grows by one per file; the files of
// one log form a contiguous range of seqs. A file is a sequence of records,
// each the bytes of one Commit, written with one write():
//
//   record  := length:u32le  payload_crc:u32le  header_crc:u32le  payload
//   payload_crc = Mask(crc32(payload)), header_crc = Mask(crc32(first 8 bytes))
//   payload := version:varint(=2) has_meta:u8
//              [epoch:varint last_hlc:varint next_sequence:varint boot_id:str]
//              n:varint { delete_state key:str }
//              n:varint { put_state key:str type:varint bytes:str }
//              n:varint { delete_outbox generation:varint }
//              n:varint { put_outbox generation:varint key:str type:varint bytes:str }
//              n:varint { append_delta key:str m:varint { type:varint bytes:str } }
//   str     := length:varint bytes
//
// The header has its own checksum so that a scan for "is anything valid after
// this bad spot" can reject almost every byte offset without reading a
// payload. Mask (from leveldb) keeps an all-zero header, which a crash can
// leave behind, from checking out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "regionsync/common/status.h"
#include "regionsync/store/store.h"

namespace regionsync::log_record {

inline constexpr size_t kHeaderSize = 12;

// Appends one record holding `batch` to `out`; false if it is too big.
bool EncodeRecord(const StoreBatch& batch, std::string* out);
// The batch of a record's payload; DataLoss if it does not decode.
Result<StoreBatch> DecodePayload(std::string_view payload);
// The size of the valid record at `offset` of `data`, or 0 if there is none.
size_t ValidRecordAt(std::string_view data, size_t offset, std::string_view* payload);

// Makes applying `into` equal to applying `into` and then `later` (what
// replay and the background apply rely on). Takes `later`'s map nodes over
// where `into` has no entry for their key, so most entries move without a
// copy or an allocation; `later` is left holding nothing of use.
inline void MergeBatch(StoreBatch& into, StoreBatch&& later) {
  if (into.empty()) {
    into = std::move(later);
    return;
  }
  if (later.meta) into.meta = std::move(later.meta);
  // A batch deletes before it puts, so its deletes merge first.
  for (const std::string& key : later.delete_state) {
    into.put_state.erase(key);
    into.append_delta.erase(key);
  }
  into.delete_state.merge(later.delete_state);
  // (Most merges have no deletes or deltas in `into`: skip the lookups.)
  if (!into.delete_state.empty() || !into.append_delta.empty()) {
    for (const auto& [key, value] : later.put_state) {
      into.delete_state.erase(key);
      into.append_delta.erase(key);
    }
  }
  into.put_state.merge(later.put_state);
  for (auto& [key, value] : later.put_state) into.put_state.find(key)->second = std::move(value);  // keys `into` had
  // A delta joins into whatever `into` leaves for the key (a put, a delete,
  // or the inner store's row), so it merges as one more delta.
  into.append_delta.merge(later.append_delta);
  for (auto& [key, deltas] : later.append_delta) {
    std::vector<StoredValue>& merged = into.append_delta.find(key)->second;
    for (StoredValue& delta : deltas) merged.push_back(std::move(delta));
  }
  for (uint64_t generation : later.delete_outbox_generations) {
    // Stays a deletion too: the inner store may hold rows of it.
    into.put_outbox.erase(into.put_outbox.lower_bound({generation, std::string()}),
                          generation == UINT64_MAX
                              ? into.put_outbox.end()
                              : into.put_outbox.lower_bound({generation + 1, std::string()}));
  }
  into.delete_outbox_generations.merge(later.delete_outbox_generations);
  into.put_outbox.merge(later.put_outbox);
  for (auto& [generation_key, value] : later.put_outbox) into.put_outbox.find(generation_key)->second = std::move(value);
}

}  // namespace regionsync::log_record
