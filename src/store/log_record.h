// The record format of LogStore's write-ahead log (version 2). Internal to
// src/store.
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

}  // namespace regionsync::log_record
