// The one instrumentation API every model uses: named counters (stats) and named events with
// simulated time and fields. Outputs (run.log, stats.json, later timelines and waveforms) are
// sinks attached here; models never know which outputs exist.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace models {

using FieldValue = std::variant<uint64_t, int64_t, double, std::string>;

struct Field {
    std::string key;
    FieldValue value;
};

struct Event {
    uint64_t time_ps = 0;
    const std::string* name = nullptr;  // e.g. "cache.evict"
    std::string source;                 // component, e.g. "cpu0.l1d"
    std::vector<Field> fields;
};

class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void on_event(const Event& event) = 0;
};

struct EventKindState {
    std::string name;
    bool enabled = false;
    std::vector<EventSink*> sinks;
};

// Identifies a declared event kind; cheap to test for "anyone listening?" on hot paths.
class EventKind {
public:
    EventKind() = default;
    bool enabled() const { return state_ && state_->enabled; }
    const std::string& name() const { return state_->name; }

private:
    friend class Instrumentation;
    explicit EventKind(const EventKindState* state) : state_(state) {}
    const EventKindState* state_ = nullptr;
};

class Instrumentation {
public:
    // A counter at a dotted path ("cpu0.l1d.hits"). The reference stays valid for the lifetime
    // of this object, so hot paths increment a plain integer.
    uint64_t& counter(const std::string& path);
    const std::map<std::string, uint64_t*>& counters() const { return counter_index_; }
    uint64_t counter_value(const std::string& path) const;  // 0 if absent

    // Declares an event kind once; models keep the returned EventKind.
    EventKind declare_event(const std::string& name, const std::string& description);
    const std::map<std::string, std::string>& event_descriptions() const { return descriptions_; }

    // Attaches a sink to every event whose name matches one of the comma-separated globs.
    void add_sink(EventSink* sink, const std::string& globs = "*");
    void emit(const EventKind& kind, Event event);

    static bool glob_match(const std::string& pattern, const std::string& text);
    // "dma.*,cache.maint" -> {"dma.*", "cache.maint"}; empty items dropped.
    static std::vector<std::string> split_globs(const std::string& globs);

private:
    using Kind = EventKindState;
    struct Subscription {
        EventSink* sink;
        std::vector<std::string> globs;
    };
    void subscribe(Kind& kind, const Subscription& subscription);

    std::deque<uint64_t> counter_storage_;
    std::map<std::string, uint64_t*> counter_index_;
    std::deque<Kind> kinds_;
    std::map<std::string, Kind*> kind_index_;
    std::map<std::string, std::string> descriptions_;
    std::vector<Subscription> subscriptions_;
};

}  // namespace models
