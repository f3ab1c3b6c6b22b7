// StreamReader: the change stream's events from a consumer's cursor (see
// stream.hpp for the three parts of a step).

#include "storage/stream.hpp"

#include <algorithm>
#include <limits>

#include "storage/store_impl.hpp"

namespace erc20::storage {

namespace {

// Blocks a step replays before it takes a new snapshot.
constexpr size_t kBlocksPerSnapshot = 4096;

struct StreamMeta {
    uint64_t id{0};
    uint64_t seq{0};
    BlockNum floor{0};
};

StreamMeta stream_meta(const Store::Impl& d, const rocksdb::ReadOptions& ro) {
    auto id = d.get_row(ro, kCfMeta, kKeyStreamId, decode_u64);
    if (!id) {
        throw StreamGone("the database " + d.path +
                         " has no change stream yet: the daemon starts it when it opens the "
                         "database for writing");
    }
    return StreamMeta{*id, d.stream_seq(ro),
                      d.get_row(ro, kCfMeta, kKeyStreamFloor, decode_u64).value_or(0)};
}

void check_floor(const StreamMeta& m, BlockNum from_block) {
    if (from_block < m.floor) {
        throw StreamGone("the change stream of this database starts at block " +
                         std::to_string(m.floor) +
                         " (it was built by a version without one); from_block must be at least "
                         "that, or reindex to stream earlier blocks");
    }
}

}  // namespace

struct StreamReader::Step {
    enum class Part { kLog, kBlocks, kHead, kDone };
    const Store::Impl& d;
    const rocksdb::Snapshot* snapshot;
    rocksdb::ReadOptions ro;
    uint64_t seq{0};
    std::optional<Cursor> head;
    Part part{Part::kLog};
    std::unique_ptr<rocksdb::Iterator> log;
    std::unique_ptr<rocksdb::Iterator> transfers;
    size_t blocks{0};

    explicit Step(const Store::Impl& impl) : d(impl), snapshot(impl.db->GetSnapshot()) {
        ro.snapshot = snapshot;
    }
    ~Step() { d.db->ReleaseSnapshot(snapshot); }
    Step(const Step&) = delete;
    Step& operator=(const Step&) = delete;
};

StreamReader::StreamReader(const Store& store, const StreamCursor& from)
    : store_(store), cursor_(from) {
    const Store::Impl& d = *store.impl_;
    const StreamMeta m = stream_meta(d, rocksdb::ReadOptions());
    if (from.stream_id != m.id) {
        throw StreamGone(
            "the cursor is of another database's stream (this one was rebuilt, "
            "or the cursor is of another daemon); start again with from_block");
    }
    if (from.log.seq > m.seq) {
        throw StreamGone(
            "the cursor is ahead of this database's stream (was it restored from "
            "an older backup?); start again with from_block");
    }
    check_floor(m, from.from_block);
    cursor_.next = std::max(cursor_.next, cursor_.from_block);
}

StreamReader::~StreamReader() = default;

StreamCursor StreamReader::starting_at(const Store& store, BlockNum n) {
    const StreamMeta m = stream_meta(*store.impl_, rocksdb::ReadOptions());
    check_floor(m, n);
    return StreamCursor{m.id, StreamLogPosition{m.seq, std::numeric_limits<uint32_t>::max()}, n, n};
}

void StreamReader::begin() {
    step_ = std::make_unique<Step>(*store_.impl_);
    Step& s = *step_;
    s.seq = s.d.stream_seq(s.ro);
    s.head = s.d.cursor(s.ro);
    s.log.reset(s.d.db->NewIterator(s.ro, s.d.cf(kCfStreamLog)));
    const auto& at = cursor_.log;
    if (at.sub == std::numeric_limits<uint32_t>::max()) {
        s.log->Seek(slice(stream_log_key(at.seq + 1, 0)));
    } else {
        s.log->Seek(slice(stream_log_key(at.seq, at.sub + 1)));
    }
}

std::optional<StreamEvent> StreamReader::next() {
    if (pending_) {
        auto e = std::move(pending_);
        pending_.reset();
        return e;
    }
    for (;;) {
        if (!step_) begin();
        std::optional<StreamEvent> e;
        switch (step_->part) {
            case Step::Part::kLog:
                e = from_log();
                break;
            case Step::Part::kBlocks:
                e = from_blocks();
                break;
            case Step::Part::kHead:
                e = head();
                break;
            case Step::Part::kDone:
                step_.reset();
                return std::nullopt;
        }
        if (e) return e;
        if (step_ && step_->part == Step::Part::kDone && step_->blocks >= kBlocksPerSnapshot) {
            step_.reset();  // a long replay goes on from a new snapshot
        }
    }
}

// Part 1: the rows of the log after the cursor's.
std::optional<StreamEvent> StreamReader::from_log() {
    Step& s = *step_;
    for (; s.log->Valid(); s.log->Next()) {
        const std::string_view key = view_of(s.log->key());
        const auto at = decoded(decode_stream_log_key(key), kCfStreamLog, key, s.d.path);
        const auto change =
            decoded(decode_stream_change(view_of(s.log->value())), kCfStreamLog, key, s.d.path);
        const StreamLogPosition before = cursor_.log;
        cursor_.log = at;
        const BlockNum b = change.block_num;
        const bool held = b >= cursor_.from_block && b < cursor_.next;
        using Kind = StreamChange::Kind;
        if (change.kind != Kind::kChanged && b < cursor_.next) {
            // Undone: so is every block above it that the consumer holds (a
            // rollback is logged newest first, then its first block).
            cursor_.next = std::max(b, cursor_.from_block);
        }
        if (change.kind == Kind::kRolledBack || !held) continue;
        StreamEvent revert;
        revert.kind = StreamEvent::Kind::kRevert;
        revert.header.block_num = b;
        revert.header.hash = change.hash;
        revert.hashes_known = change.hash != Hash{};
        s.log->Next();
        if (change.kind == Kind::kUndone) {
            revert.cursor = cursor_;
            return revert;
        }
        // Transfers were added to a block the consumer holds: it discards
        // the block and gets it again whole. A consumer that stops between
        // the two is sent both again.
        std::vector<Transfer> now;
        std::unique_ptr<rocksdb::Iterator> it(s.d.db->NewIterator(s.ro, s.d.cf(kCfTransfers)));
        for (it->Seek(slice(transfer_key(b, 0))); it->Valid(); it->Next()) {
            const auto tkey = view_of(it->key());
            Transfer t =
                decoded(decode_transfer(tkey, view_of(it->value())), kCfTransfers, tkey, s.d.path);
            if (t.block_num != b) break;
            now.push_back(std::move(t));
        }
        check(it->status(), "read transfers");
        if (now.empty()) {  // undone since: a revert of it follows
            revert.cursor = cursor_;
            return revert;
        }
        StreamCursor after = cursor_;
        cursor_.log = before;
        revert.cursor = cursor_;
        cursor_ = after;
        pending_ = block_event(b, std::move(now));
        pending_->cursor = cursor_;
        return revert;
    }
    check(s.log->status(), "read the stream log");
    cursor_.log = StreamLogPosition{s.seq, std::numeric_limits<uint32_t>::max()};
    const BlockNum end = s.head ? s.head->block_num + 1 : 0;
    cursor_.next = std::max(cursor_.from_block, std::min(cursor_.next, end));
    s.part = Step::Part::kBlocks;
    s.transfers.reset(s.d.db->NewIterator(s.ro, s.d.cf(kCfTransfers)));
    s.transfers->Seek(slice(transfer_key(cursor_.next, 0)));
    return std::nullopt;
}

// Part 2: the next block with transfers from the cursor's `next` on.
std::optional<StreamEvent> StreamReader::from_blocks() {
    Step& s = *step_;
    if (s.blocks >= kBlocksPerSnapshot) {
        s.part = Step::Part::kDone;  // next() goes on from a new snapshot
        return std::nullopt;
    }
    std::vector<Transfer> block;
    for (; s.transfers->Valid(); s.transfers->Next()) {
        const auto key = view_of(s.transfers->key());
        Transfer t = decoded(decode_transfer(key, view_of(s.transfers->value())), kCfTransfers, key,
                             s.d.path);
        if (!block.empty() && t.block_num != block.front().block_num) break;
        block.push_back(std::move(t));
    }
    check(s.transfers->status(), "read transfers");
    if (block.empty()) {
        if (s.head) cursor_.next = std::max(cursor_.next, s.head->block_num + 1);
        s.part = Step::Part::kHead;
        return std::nullopt;
    }
    const BlockNum b = block.front().block_num;
    cursor_.next = b + 1;
    ++s.blocks;
    StreamEvent e = block_event(b, std::move(block));
    e.cursor = cursor_;
    return e;
}

// Part 3.
std::optional<StreamEvent> StreamReader::head() {
    Step& s = *step_;
    s.part = Step::Part::kDone;
    if (!s.head) return std::nullopt;
    if (last_head_ && last_head_->block_num == s.head->block_num &&
        last_head_->hash == s.head->hash)
        return std::nullopt;
    last_head_ = s.head;
    return heartbeat();
}

std::optional<StreamEvent> StreamReader::heartbeat() const {
    if (!last_head_) return std::nullopt;
    StreamEvent e;
    e.kind = StreamEvent::Kind::kHead;
    e.header.block_num = last_head_->block_num;
    e.header.hash = last_head_->hash;
    e.hashes_known = last_head_->hash != Hash{};
    e.cursor = cursor_;
    return e;
}

StreamEvent StreamReader::block_event(BlockNum n, std::vector<Transfer> transfers) const {
    const Step& s = *step_;
    StreamEvent e;
    e.kind = StreamEvent::Kind::kBlock;
    e.transfers = std::move(transfers);
    if (auto row = s.d.get_row(s.ro, kCfStreamBlocks, block_key(n),
                               [n](std::string_view v) { return decode_stream_block(n, v); })) {
        e.header = row->header;
        e.hashes_known = row->hashes_known;
    } else {
        e.header.block_num = n;
        e.header.timestamp = s.d.block_time(s.ro, n).value_or(0);
    }
    return e;
}

}  // namespace erc20::storage
