#include "regionsync/sync/wire/key_ring.h"

#include <gtest/gtest.h>

namespace regionsync {
namespace {

constexpr char kSecretA[] = "secret-a-0123456789";
constexpr char kSecretB[] = "secret-b-0123456789";

TEST(KeyRingTest, EmptyRingHasNoActiveKey) {
  KeyRing ring;
  EXPECT_EQ(ring.active(), nullptr);
  EXPECT_EQ(ring.Find("a"), nullptr);
  EXPECT_EQ(ring.size(), 0u);
}

TEST(KeyRingTest, FirstAddedKeyIsActiveOthersVerifyOnly) {
  KeyRing ring;
  ASSERT_TRUE(ring.Add({"a", kSecretA}).ok());
  ASSERT_TRUE(ring.Add({"b", kSecretB}).ok());
  ASSERT_NE(ring.active(), nullptr);
  EXPECT_EQ(ring.active()->id, "a");
  ASSERT_NE(ring.Find("b"), nullptr);
  EXPECT_EQ(ring.Find("b")->secret, kSecretB);
  EXPECT_EQ(ring.ids(), (std::vector<std::string>{"a", "b"}));
}

TEST(KeyRingTest, SetActiveSwitchesTheSigningKey) {
  KeyRing ring;
  ASSERT_TRUE(ring.Add({"a", kSecretA}).ok());
  ASSERT_TRUE(ring.Add({"b", kSecretB}).ok());
  ASSERT_TRUE(ring.SetActive("b").ok());
  EXPECT_EQ(ring.active()->id, "b");
  EXPECT_EQ(ring.SetActive("zzz").code(), StatusCode::kNotFound);
  EXPECT_EQ(ring.active()->id, "b");
}

TEST(KeyRingTest, AddRejectsBadKeys) {
  KeyRing ring;
  ASSERT_TRUE(ring.Add({"a", kSecretA}).ok());
  EXPECT_EQ(ring.Add({"", kSecretB}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ring.Add({"b", "short"}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ring.Add({"b", std::string(KeyRing::kMinSecretBytes - 1, 'x')}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ring.Add({"a", kSecretB}).code(), StatusCode::kInvalidArgument);  // duplicate
  EXPECT_EQ(ring.Add({"has space", kSecretB}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ring.Add({"colon:id", kSecretB}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ring.Add({std::string("a\0", 2), kSecretB}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ring.Add({std::string(KeyRing::kMaxKeyIdBytes + 1, 'k'), kSecretB}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ring.size(), 1u);
  // Boundaries are accepted.
  EXPECT_TRUE(ring.Add({std::string(KeyRing::kMaxKeyIdBytes, 'k'), kSecretB}).ok());
  EXPECT_TRUE(ring.Add({"Key_2.v-1", std::string(KeyRing::kMinSecretBytes, '\0')}).ok());
}

TEST(KeyRingTest, RemoveDropsVerificationButNeverTheActiveKey) {
  KeyRing ring;
  ASSERT_TRUE(ring.Add({"a", kSecretA}).ok());
  ASSERT_TRUE(ring.Add({"b", kSecretB}).ok());
  EXPECT_EQ(ring.Remove("a").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ring.Remove("zzz").code(), StatusCode::kNotFound);
  ASSERT_TRUE(ring.SetActive("b").ok());
  ASSERT_TRUE(ring.Remove("a").ok());
  EXPECT_EQ(ring.Find("a"), nullptr);
  EXPECT_EQ(ring.active()->id, "b");
}

TEST(KeyRingTest, ParseTakesFirstKeyAsActive) {
  Result<KeyRing> ring = KeyRing::Parse("new:secret-new-0123456789,old:secret-old-0123456789");
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  EXPECT_EQ(ring->active()->id, "new");
  EXPECT_EQ(ring->active()->secret, "secret-new-0123456789");
  ASSERT_NE(ring->Find("old"), nullptr);
  EXPECT_EQ(ring->Find("old")->secret, "secret-old-0123456789");
}

TEST(KeyRingTest, ParseSingleKeyWithColonInSecretAndWhitespace) {
  Result<KeyRing> ring = KeyRing::Parse("  k1 : a:b:c-0123456789abcdef \n");
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  EXPECT_EQ(ring->size(), 1u);
  EXPECT_EQ(ring->active()->id, "k1");
  EXPECT_EQ(ring->active()->secret, "a:b:c-0123456789abcdef");
}

TEST(KeyRingTest, ParseErrors) {
  for (const char* spec : {
           "",                                            // empty
           "   \n",                                       // blank
           "k1",                                          // no ':'
           "k1:short",                                    // secret too short
           ":secret-0123456789abcdef",                    // empty id
           "k1:secret-0123456789abcdef,",                 // empty trailing item
           ",k1:secret-0123456789abcdef",                 // empty leading item
           "k1:secret-0123456789abcdef,k1:other-0123456789abc",  // duplicate
           "k 1:secret-0123456789abcdef",                 // bad id character
       }) {
    Result<KeyRing> ring = KeyRing::Parse(spec);
    ASSERT_FALSE(ring.ok()) << "'" << spec << "'";
    EXPECT_EQ(ring.status().code(), StatusCode::kInvalidArgument) << spec;
  }
}

TEST(KeyRingTest, ParseErrorsNameTheItemButNeverTheSecret) {
  Result<KeyRing> ring = KeyRing::Parse("k1:secret-0123456789abcdef,k2:tiny-secret");
  ASSERT_FALSE(ring.ok());
  EXPECT_NE(ring.status().message().find("item 2"), std::string::npos) << ring.status().ToString();
  EXPECT_EQ(ring.status().message().find("tiny-secret"), std::string::npos);
  EXPECT_EQ(ring.status().message().find("secret-0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace regionsync
