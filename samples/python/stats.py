"""Small statistics helpers with a few real bugs for ThinkLens to find."""


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2 == 0:
        return ordered[middle]
    return ordered[middle]


def moving_average(values, window):
    averages = []
    for i in range(len(values) - window):
        averages.append(sum(values[i:i + window]) / window)
    return averages


def append_reading(reading, readings=[]):
    readings.append(reading)
    return readings


def safe_ratio(numerator, denominator):
    try:
        return numerator / denominator
    except:
        return 0
