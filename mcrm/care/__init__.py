"""Care: birthday, holiday, special-day and membership-anniversary greetings that go out by themselves."""
