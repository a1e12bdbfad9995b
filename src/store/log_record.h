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
#include <type_traits>
#include <utility>

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
// replay and the background apply rely on). Moves from `later` if an rvalue.
template <typename Batch>
void MergeBatch(StoreBatch& into, Batch&& later) {
  auto take = [](auto& x) -> decltype(auto) {
    if constexpr (std::is_rvalue_reference_v<Batch&&>) {
      return std::move(x);
    } else {
      return x;
    }
  };
  if (later.meta) into.meta = take(later.meta);
  // A batch deletes before it puts, so its deletes merge first.
  for (const std::string& key : later.delete_state) {
    into.put_state.erase(key);
    into.append_delta.erase(key);
    into.delete_state.insert(key);
  }
  for (auto& [key, value] : later.put_state) {
    // (Most merges have neither: skip the lookups.)
    if (!into.delete_state.empty()) into.delete_state.erase(key);
    if (!into.append_delta.empty()) into.append_delta.erase(key);
    into.put_state.insert_or_assign(key, take(value));
  }
  // A delta joins into whatever `into` leaves for the key (a put, a delete,
  // or the inner store's row), so it merges as one more delta.
  for (auto& [key, deltas] : later.append_delta) {
    auto& merged = into.append_delta[key];
    for (auto& delta : deltas) merged.push_back(take(delta));
  }
  for (uint64_t generation : later.delete_outbox_generations) {
    // Stays a deletion too: the inner store may hold rows of it.
    into.put_outbox.erase(into.put_outbox.lower_bound({generation, std::string()}),
                          generation == UINT64_MAX
                              ? into.put_outbox.end()
                              : into.put_outbox.lower_bound({generation + 1, std::string()}));
    into.delete_outbox_generations.insert(generation);
  }
  for (auto& [generation_key, value] : later.put_outbox) into.put_outbox.insert_or_assign(generation_key, take(value));
}

}  // namespace regionsync::log_record
