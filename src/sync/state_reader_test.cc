#include "sync/state_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sync/stored_key.h"

namespace regionsync {
namespace {

StoredValue StringRow(int i) {
  RedisString s;
  (void)s.Set(1, 100 + i, "v" + std::to_string(i));
  return ToStored(AnyCrdt(std::move(s)), Lifetime{});
}

// A memory store of `rows` string keys, the 8th of them corrupt.
class StringRows {
 public:
  explicit StringRows(int rows) : store_(NewMemoryStore()) {
    StoreBatch batch;
    for (int i = 0; i < rows; ++i) {
      StoredValue v = StringRow(i);
      if (i == 7) v.bytes = "\xff\xff";  // not a string's encoding
      batch.put_state[Key(i)] = v;
    }
    EXPECT_TRUE(store_->Commit(batch).ok());
  }
  static std::string Key(int i) {
    char k[16];
    snprintf(k, sizeof k, "key%03d", i);  // store order is key order
    return k;
  }
  Store& store() { return *store_; }

 private:
  std::unique_ptr<Store> store_;
};

// `inner` with a row count hint: at least a batch, and ReadStates reads it
// on its helper thread (as it does SQLite); 0, on the caller's thread.
class HintedStore : public Store {
 public:
  HintedStore(Store& inner, size_t hint) : inner_(inner), hint_(hint) {}
  Result<StoreMeta> LoadMeta() override { return inner_.LoadMeta(); }
  size_t StateCountHint() override { return hint_; }
  Status ForEachState(const std::function<void(const std::string&, const StoredValue&)>& fn) override {
    return inner_.ForEachState(fn);
  }
  Status ForEachDelta(const std::function<void(const std::string&, const StoredValue&)>& fn) override {
    return inner_.ForEachDelta(fn);
  }
  Status ForEachOutbox(const std::function<void(uint64_t, const std::string&, const StoredValue&)>& fn) override {
    return inner_.ForEachOutbox(fn);
  }
  Status Commit(const StoreBatch& batch) override { return inner_.Commit(batch); }

 private:
  Store& inner_;
  size_t hint_;
};

// Batches of 3 rows, on the helper thread (hint 20) and on the caller's
// (hint 0): every row comes back once, in store order, decoded as
// FromStored / StateHash would, and a corrupt row comes back as an error.
TEST(ReadStatesTest, RowsComeBackInOrderDecoded) {
  StringRows rows(20);
  for (size_t hint : {size_t{20}, size_t{0}}) {
    HintedStore store(rows.store(), hint);
    std::vector<DecodedState> got;
    Status s = ReadStates(
        store,
        [&](std::vector<DecodedState>& batch) {
          EXPECT_LE(batch.size(), 3u);
          for (auto& row : batch) got.push_back(std::move(row));
          return true;
        },
        /*batch_rows=*/3);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(got.size(), 20u) << "hint " << hint;
    for (int i = 0; i < 20; ++i) {
      const std::string key = StringRows::Key(i);
      EXPECT_EQ(got[i].key, key);
      StoredValue v = StringRow(i);
      if (i == 7) {
        EXPECT_FALSE(got[i].state.ok());
        continue;
      }
      EXPECT_EQ(got[i].bytes, v.bytes.size());
      EXPECT_EQ(got[i].hash, StateHash(key, v));
      ASSERT_TRUE(got[i].state.ok()) << i;
      EXPECT_EQ(std::get<RedisString>(got[i].state->value).Value(), "v" + std::to_string(i));
    }
  }
}

// A sink that refuses stops the reading: no batch after it.
TEST(ReadStatesTest, SinkStopsTheReading) {
  StringRows rows(200);
  for (size_t hint : {size_t{200}, size_t{0}}) {
    HintedStore store(rows.store(), hint);
    int calls = 0;
    Status s = ReadStates(
        store,
        [&](std::vector<DecodedState>&) {
          ++calls;
          return calls < 2;
        },
        /*batch_rows=*/3);
    EXPECT_TRUE(s.ok());
    EXPECT_EQ(calls, 2) << "hint " << hint;
  }
}

TEST(ReadStatesTest, EmptyStoreCallsNothing) {
  StringRows rows(0);
  int calls = 0;
  EXPECT_TRUE(ReadStates(rows.store(), [&](std::vector<DecodedState>&) { return ++calls, true; }).ok());
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace regionsync
