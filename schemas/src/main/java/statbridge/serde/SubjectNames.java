package statbridge.serde;

/** The TopicNameStrategy: the subject of a topic's values is {@code <topic>-value}, of its keys {@code <topic>-key}. */
public final class SubjectNames {

    private SubjectNames() {
    }

    public static String subject(String topic, boolean isKey) {
        return topic + (isKey ? "-key" : "-value");
    }

    public static String valueSubject(String topic) {
        return subject(topic, false);
    }
}
