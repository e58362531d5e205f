// PartitionedSorter: see partitioned_sorter.h.
#include "storage/partitioned_sorter.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>
#include <thread>
#include <utility>

#include "storage/key_codec.h"

namespace scimd::storage {

using core::Result;
using core::Status;

namespace {

// A partition's prefix is compared as one 8-byte word, and holds the tenant.
PartitionedSorter::Tuning Checked(PartitionedSorter::Tuning t) {
  t.prefix_bytes = std::clamp<size_t>(t.prefix_bytes, kTenantBytes, 8);
  return t;
}

}  // namespace

PartitionedSorter::PartitionedSorter(std::string dir, std::string name,
                                     const rocksdb::Options& options, size_t budget)
    : PartitionedSorter(std::move(dir), std::move(name), options, budget, Tuning()) {}

PartitionedSorter::PartitionedSorter(std::string dir, std::string name,
                                     const rocksdb::Options& options, size_t budget,
                                     const Tuning& tuning)
    : dir_(std::move(dir)),
      name_(std::move(name)),
      options_(options),
      budget_(budget),
      tuning_(Checked(tuning)) {}

size_t PartitionedSorter::PartitionOf(std::string_view key) {
  const size_t n = tuning_.prefix_bytes;
  char bytes[8] = {};
  std::memcpy(bytes, key.data(), n);
  uint64_t word;
  std::memcpy(&word, bytes, sizeof(word));
  // Each resource's keys visit the partitions in the same order: the one after the
  // previous key's last time is nearly always right.
  if (last_ != kNoPartition) {
    const size_t guess = partitions_[last_].next;
    if (guess != kNoPartition && partitions_[guess].word == word) return last_ = guess;
  }
  size_t found = kNoPartition;
  // Bounded by the schema: one partition per indexed attribute and kind of a type.
  for (size_t i = 0; i < partitions_.size(); ++i) {
    if (partitions_[i].word == word) {
      found = i;
      break;
    }
  }
  if (found == kNoPartition) {
    SstSorter::Tuning tuning;
    tuning.shared_bytes = n;
    tuning.ordered_run_bytes = tuning_.ordered_run_bytes;
    tuning.ordered_file_bytes = tuning_.ordered_file_bytes;
    // Finish runs two partitions at once, and each merges two key ranges at once (as
    // every SstSorter does): the last partition left does not run alone on one core.
    tuning.keep_buffers = false;  // memory is what the shared budget counts
    Partition p;
    p.prefix.assign(key.substr(0, n));
    p.word = word;
    // A buffer of the whole budget: SpillLargest writes it long before that.
    p.sorter = std::make_unique<SstSorter>(dir_, name_ + "-" + std::to_string(partitions_.size()),
                                           options_, 2 * budget_, tuning);
    partitions_.push_back(std::move(p));
    found = partitions_.size() - 1;
  }
  if (last_ != kNoPartition) partitions_[last_].next = found;
  return last_ = found;
}

void PartitionedSorter::Account(Partition& p) {
  const size_t buffered = p.sorter->buffered_bytes();
  const size_t spilling = p.sorter->spilling_bytes();
  buffered_ = buffered_ - p.buffered + buffered;
  spilling_ = spilling_ - p.spilling + spilling;
  p.buffered = buffered;
  p.spilling = spilling;
  Partition* largest = largest_ == kNoPartition ? nullptr : &partitions_[largest_];
  if (largest == nullptr || buffered > largest->buffered) {
    largest_ = static_cast<size_t>(&p - partitions_.data());
  } else if (largest == &p) {  // it shrank (was written): another may be larger now
    for (size_t i = 0; i < partitions_.size(); ++i) {
      if (partitions_[i].buffered > partitions_[largest_].buffered) largest_ = i;
    }
  }
}

Status PartitionedSorter::Add(std::string_view key, std::string_view value) {
  if (key.size() < tuning_.prefix_bytes) {
    return Status::InvalidValue("bulk load: key shorter than a partition's prefix");
  }
  if (!partitions_.empty() &&
      std::memcmp(partitions_.front().prefix.data(), key.data(), kTenantBytes) != 0) {
    return Status::InvalidValue("bulk load: keys of another tenant");
  }
  Partition& p = partitions_[PartitionOf(key)];
  SCIMD_RETURN_IF_ERROR(p.sorter->Add(key, value));
  ++entries_;
  Account(p);
  // The largest buffer is written while the others fill, in the room it leaves. With
  // one partition that is SstSorter's two halves; with many, each buffer written is a
  // small part of the budget, and the buffers filling may use the rest of it.
  if (buffered_ + std::max(partitions_[largest_].buffered, spilling_) >= budget_) {
    return MakeRoom();
  }
  return Status::Ok();
}

Status PartitionedSorter::MakeRoom() {
  for (Partition& p : partitions_) {
    if (p.spilling == 0 || !p.sorter->spill_done()) continue;
    SCIMD_RETURN_IF_ERROR(p.sorter->WaitSpill());
    Account(p);
  }
  // Buffers being written are part of the budget: when it is full, wait for them.
  while (spilling_ > 0 && buffered_ + spilling_ >= budget_) {
    Partition* writing = nullptr;  // the one that frees the most
    for (Partition& p : partitions_) {
      if (p.spilling > 0 && (!writing || p.spilling > writing->spilling)) writing = &p;
    }
    SCIMD_RETURN_IF_ERROR(writing->sorter->WaitSpill());
    Account(*writing);
  }
  Partition& largest = partitions_[largest_];
  if (buffered_ + largest.buffered < budget_) return Status::Ok();
  SCIMD_RETURN_IF_ERROR(largest.sorter->Spill());
  Account(largest);
  return Status::Ok();
}

uint64_t PartitionedSorter::temporary_runs() const {
  uint64_t n = 0;
  for (const Partition& p : partitions_) n += p.sorter->temporary_runs();
  return n;
}

Result<std::vector<std::string>> PartitionedSorter::Finish() {
  // Two partitions at once (the machine's cores), the most work first so that the two
  // threads end together (a partition whose keys came in order has little left to do,
  // however many entries it has).
  const size_t n = partitions_.size();
  std::vector<size_t> by_size(n);
  for (size_t i = 0; i < n; ++i) by_size[i] = i;
  std::sort(by_size.begin(), by_size.end(), [this](size_t a, size_t b) {
    return partitions_[a].sorter->entries_to_finish() > partitions_[b].sorter->entries_to_finish();
  });
  std::vector<std::optional<Result<std::vector<std::string>>>> finished(n);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t k = next.fetch_add(1); k < n; k = next.fetch_add(1)) {
      finished[by_size[k]] = partitions_[by_size[k]].sorter->Finish();
    }
  };
  std::thread helper(work);
  work();
  helper.join();
  buffered_ = spilling_ = 0;
  for (Partition& p : partitions_) p.buffered = p.spilling = 0;

  // Partitions are disjoint key ranges: their files in the order of their prefixes.
  std::vector<size_t> by_key(n);
  for (size_t i = 0; i < n; ++i) by_key[i] = i;
  std::sort(by_key.begin(), by_key.end(),
            [this](size_t a, size_t b) { return partitions_[a].prefix < partitions_[b].prefix; });
  std::vector<std::string> paths;
  for (size_t i : by_key) {
    if (!finished[i]->ok()) return finished[i]->status();
    for (std::string& path : **finished[i]) paths.push_back(std::move(path));
  }
  return paths;
}

}  // namespace scimd::storage
