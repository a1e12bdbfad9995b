#include <gtest/gtest.h>

#include "regionsync/store/store.h"

namespace regionsync {
namespace {

TEST(MemoryStoreTest, CommitsStateMetaAndOutboxGenerations) {
  auto store = NewMemoryStore();
  EXPECT_EQ(store->LoadMeta()->epoch, 0u);

  StoreBatch b;
  b.meta = StoreMeta{42, 7, 3};
  b.put_state["a"] = {pb::G_COUNTER, "x"};
  b.put_state["b"] = {pb::OR_SET, "y"};
  b.put_outbox[{1, "a"}] = {pb::G_COUNTER, "d1"};
  b.put_outbox[{2, "a"}] = {pb::G_COUNTER, "d2"};
  ASSERT_TRUE(store->Commit(b).ok());
  EXPECT_EQ(*store->LoadMeta(), (StoreMeta{42, 7, 3}));

  StoreBatch c;
  c.delete_state.insert("b");
  c.delete_outbox_generations.insert(1);
  ASSERT_TRUE(store->Commit(c).ok());

  std::vector<std::string> keys;
  ASSERT_TRUE(store->ForEachState([&](const std::string& k, const StoredValue&) { keys.push_back(k); }).ok());
  EXPECT_EQ(keys, std::vector<std::string>{"a"});
  std::vector<uint64_t> gens;
  ASSERT_TRUE(store->ForEachOutbox([&](uint64_t g, const std::string&, const StoredValue& v) {
    gens.push_back(g);
    EXPECT_EQ(v.bytes, "d2");
  }).ok());
  EXPECT_EQ(gens, std::vector<uint64_t>{2});
}

}  // namespace
}  // namespace regionsync
