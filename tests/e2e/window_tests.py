"""WebDriver tests of the window (WebKitWebDriver driving the real binary)."""
